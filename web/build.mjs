// Builds the static site into dist/: app.js (src/main.ts bundled and minified by
// esbuild, with a source map), index.html and styles.css. config.json is not part
// of the build: it is written at deploy time (scripts/web, or by hand; README.md).
import { build } from "esbuild";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(here, "public"), out, { recursive: true });
const result = await build({
  entryPoints: [join(here, "src", "main.ts")],
  outfile: join(out, "app.js"),
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: true,
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
});
const js = Object.entries(result.metafile.outputs).find(([name]) => name.endsWith("app.js"))?.[1].bytes ?? 0;
console.log(`built dist/: index.html, styles.css, app.js (${(js / 1024).toFixed(1)} KiB minified) and its source map`);
