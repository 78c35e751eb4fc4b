// The job list: a click on a column head sorts the rows by that column (numbers as numbers,
// empty cells last); a second click reverses the order.
(function () {
  "use strict";

  function key(row, index) {
    const text = row.cells[index].dataset.sort;
    return text === undefined ? row.cells[index].textContent.trim() : text;
  }

  function compare(a, b) {
    if (a === "" || b === "") return a === b ? 0 : a === "" ? 1 : -1;
    const x = Number(a), y = Number(b);
    if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
    return a.localeCompare(b);
  }

  function sort(table, header) {
    const index = Array.prototype.indexOf.call(header.parentNode.children, header);
    const ascending = header.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r, s) {
      const a = key(r, index), b = key(s, index);
      const order = compare(a, b);
      return a === "" || b === "" ? order : ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (header) {
      header.addEventListener("click", function () { sort(table, header); });
    });
  });
})();
