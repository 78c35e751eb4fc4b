// Copy the browser builds named in vendor.json from node_modules/ into vendor/.
// Run by `make assets` after `npm ci`; uses nothing but Node's standard library.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "..", "..", "node_modules");
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
