// The model page: draws each chart (Vega-Lite or Vega specs from the job) with vega-embed.
// The specs come from the page's <script type="application/json" id="chart-specs"> block;
// each <div class="chart" data-chart="N"> gets spec N. body[data-state] becomes "ready"
// once every chart is drawn or has failed (each chart's own data-state says which).
(function () {
  "use strict";

  function fail(element, message) {
    element.dataset.state = "error";
    element.textContent = "This chart could not be drawn: " + message;
  }

  function draw(element, spec) {
    if (typeof window.vegaEmbed !== "function") {
      fail(element, "the chart libraries are not loaded (run `make assets`)");
      return Promise.resolve();
    }
    const options = {
      renderer: "svg",
      ast: true, // Vega expressions interpreted, not compiled with eval: the page forbids eval
      actions: { export: true, source: false, compiled: false, editor: false },
    };
    return window.vegaEmbed(element, spec, options).then(
      function () { element.dataset.state = "rendered"; },
      function (error) { fail(element, String(error && error.message ? error.message : error)); }
    );
  }

  function start() {
    const block = document.getElementById("chart-specs");
    const specs = block ? JSON.parse(block.textContent) : [];
    const drawn = Array.prototype.map.call(document.querySelectorAll(".chart[data-chart]"), function (element) {
      const spec = specs[Number(element.dataset.chart)];
      return spec ? draw(element, spec) : Promise.resolve(fail(element, "no spec"));
    });
    Promise.all(drawn).then(function () { document.body.dataset.state = "ready"; });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
