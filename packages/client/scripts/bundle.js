// Bundles the browser entry (dist/browser.js) into one minified ESM file and reports its size:
// raw (bundled, not minified), minified, and minified + gzip, with and without pomelo-protobuf.
// Run after `tsc -b`: `npm run bundle -w @shaddock/client` (add `-- --strict` to fail over the target).
import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const TARGET_GZIP_BYTES = 12 * 1024;
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const entry = `${packageDir}dist/browser.js`;
const outfile = `${packageDir}dist/shaddock-client.min.js`;
const reportFile = `${packageDir}dist/bundle-size.json`;

const common = {
  entryPoints: [entry],
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  logLevel: 'warning',
};

/**
 * Replaces the protocol package's protobuf module by a stub with the same export names, to
 * measure the bundle without pomelo-protobuf.
 */
const withoutProtobuf = {
  name: 'without-protobuf',
  setup(plugin) {
    plugin.onResolve({ filter: /\/protobuf\/index\.js$/ }, (args) => ({
      path: `${args.resolveDir}/${args.path}`,
      namespace: 'stub',
    }));
    plugin.onLoad({ filter: /.*/, namespace: 'stub' }, async (args) => {
      const names = Object.keys(await import(pathToFileURL(args.path).href));
      return { contents: names.map((name) => `export const ${name} = undefined;`).join('\n') };
    });
  },
};

async function bundle(options) {
  const result = await build({ ...common, write: false, metafile: true, ...options });
  const [output] = result.outputFiles;
  return { bytes: output.contents, metafile: result.metafile };
}

const raw = await bundle({});
const minified = await bundle({ minify: true });
const minifiedWithoutProtobuf = await bundle({ minify: true, plugins: [withoutProtobuf] });
await writeFile(outfile, minified.bytes);

const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;
const [output] = Object.values(minified.metafile.outputs);
const protobufBytes = Object.entries(output.inputs)
  .filter(([path]) => path.includes('/protobuf/'))
  .reduce((total, [, input]) => total + input.bytesInOutput, 0);

const report = {
  file: 'dist/shaddock-client.min.js',
  rawBytes: raw.bytes.length,
  minifiedBytes: minified.bytes.length,
  gzipBytes: gzip(minified.bytes),
  protobufMinifiedBytes: protobufBytes,
  withoutProtobuf: {
    minifiedBytes: minifiedWithoutProtobuf.bytes.length,
    gzipBytes: gzip(minifiedWithoutProtobuf.bytes),
  },
  targetGzipBytes: TARGET_GZIP_BYTES,
};
await writeFile(reportFile, `${JSON.stringify(report, null, 2)}\n`);

const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KiB (${bytes} B)`;
console.log(`@shaddock/client browser bundle → ${report.file}`);
console.log(`  raw (bundled)      ${kb(report.rawBytes)}`);
console.log(`  minified           ${kb(report.minifiedBytes)} (protobuf ${kb(protobufBytes)} of it)`);
console.log(`  minified + gzip    ${kb(report.gzipBytes)}`);
console.log(
  `  without protobuf   ${kb(report.withoutProtobuf.minifiedBytes)} minified, ${kb(report.withoutProtobuf.gzipBytes)} gzip (target ${kb(TARGET_GZIP_BYTES)})`,
);
// The target is for the bundle without protobuf, which an app without protos never loads.
if (report.withoutProtobuf.gzipBytes > TARGET_GZIP_BYTES) {
  console.warn(
    `warning: ${report.withoutProtobuf.gzipBytes - TARGET_GZIP_BYTES} bytes over the min+gzip target`,
  );
  if (process.argv.includes('--strict')) process.exitCode = 1;
}
