// Copy the browser builds each web folder's vendor.json names from node_modules/ into
// that folder's vendor/, with a versions.json. Run by `make assets` and the wheel build
// after `npm ci`, with the folders as arguments; uses nothing but Node's standard library.
//   node vendor.mjs brevetti_schema/_web brevetti_job/devserver/_web
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const modules = join(root, "node_modules");
const folders = process.argv.slice(2);
if (folders.length === 0) {
  console.error("usage: node vendor.mjs WEB_FOLDER...");
  process.exit(2);
}

for (const folder of folders) {
  const here = resolve(root, folder);
  const target = join(here, "vendor");
  const manifest = JSON.parse(readFileSync(join(here, "vendor.json"), "utf8"));
  rmSync(target, { recursive: true, force: true });
  for (const [name, source] of Object.entries(manifest)) {
    const destination = join(target, name);
    mkdirSync(dirname(destination), { recursive: true });
    copyFileSync(join(modules, source), destination);
  }
  const versions = {};
  for (const source of new Set(Object.values(manifest).map((p) => p.split("/")[0]))) {
    versions[source] = JSON.parse(readFileSync(join(modules, source, "package.json"), "utf8")).version;
  }
  writeFileSync(join(target, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
  console.log(`copied ${Object.keys(manifest).length} files into ${target}`);
}
