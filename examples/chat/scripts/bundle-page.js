// Builds the chat page into dist/public/: src/web/page.ts bundled for browsers with esbuild
// (with @shaddock/client's browser entry) as chat.js, beside index.html and style.css.
// Run by `npm run build` in this folder (after `tsc -b`, which type-checks the page), and by the
// root `npm start`.
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const output = `${root}dist/public/`;

await mkdir(output, { recursive: true });
const result = await build({
  entryPoints: [`${root}src/web/page.ts`],
  outfile: `${output}chat.js`,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
await Promise.all(
  ['index.html', 'style.css'].map((file) => copyFile(`${root}src/web/${file}`, `${output}${file}`)),
);

const bytes = Object.values(result.metafile.outputs).find((entry) => entry.entryPoint)?.bytes ?? 0;
console.log(`chat page → ${output} (chat.js ${(bytes / 1024).toFixed(1)} KiB minified)`);
