// The layering rules of the workspace (DESIGN.md §9), checked by `npm run layering` (part of `npm test`)
// and by packages/shaddock/test/layering.test.ts, which also proves that every rule fires.
//
// Paths are relative to the cruise's base directory (the repository root; the test points it at a
// fixture tree laid out the same way), so every pattern is anchored on `^packages/…`.

const SRC = '^packages/shaddock/src/';

/** A regular expression matching the files in the given folders of packages/shaddock/src. */
function inFolders(...names) {
  return `${SRC}(?:${names.join('|')})/`;
}

// The floors of packages/shaddock/src, bottom to top. A floor may import its own floor and the floors
// below it; no arrow may point up.
const ERRORS = `${SRC}errors\\.ts$`;
const FOUNDATION = ['config', 'membership', 'logging', 'transport'];
const KERNEL = ['kernel'];
const FEATURES = ['rpc', 'session', 'channel', 'handler', 'connector', 'cron'];
const CONTROL = ['master', 'admin'];
const RUNNERS = ['server', 'cli'];
// the package's entries (index.ts: `shaddock`; internal.ts: `shaddock/internal`), pomelo/ and testing/
const ENTRIES = [`${SRC}(?:index|internal)\\.ts$`, inFolders('pomelo', 'testing')];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Import cycle between files. Break it by moving the shared part down a floor or by passing it in. ' +
        'Type-only imports count too.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment:
        'Import cycle between folders (a file of A imports B, and a file of B imports A, directly or ' +
        'through other folders). Folders form a stack: move the shared part down a floor.',
      scope: 'folder',
      // a folder's own subfolders (handler/ and handler/filters/) may depend on each other
      from: { path: '^(packages/[^/]+/src/[^/]+)' },
      to: { circular: true, pathNot: '^$1(?:/|$)' },
    },
    {
      name: 'errors-imports-nothing-local',
      severity: 'error',
      comment:
        'src/errors.ts is the ground floor: it imports no other file of packages/shaddock/src ' +
        '(only @shaddock/protocol, node builtins and npm packages).',
      from: { path: ERRORS },
      to: { path: SRC },
    },
    {
      name: 'foundation-not-up',
      severity: 'error',
      comment:
        'config/, membership/, logging/ and transport/ import only each other, src/errors.ts, ' +
        '@shaddock/protocol, node builtins and npm packages: not kernel/ nor anything above it.',
      from: { path: inFolders(...FOUNDATION) },
      to: { path: SRC, pathNot: [inFolders(...FOUNDATION), ERRORS] },
    },
    {
      name: 'kernel-imports-no-feature',
      severity: 'error',
      comment:
        'The kernel imports no feature: kernel/ imports only kernel/, config/, membership/, logging/, ' +
        'transport/, src/errors.ts, @shaddock/protocol, node builtins and npm packages.',
      from: { path: inFolders(...KERNEL) },
      to: { path: SRC, pathNot: [inFolders(...KERNEL, ...FOUNDATION), ERRORS] },
    },
    {
      name: 'features-not-up',
      severity: 'error',
      comment:
        'rpc/, session/, channel/, handler/, connector/ and cron/ do not import master/, admin/, server/, cli/, ' +
        'pomelo/, testing/ or the package entries (index.ts, internal.ts).',
      from: { path: inFolders(...FEATURES) },
      to: { path: [inFolders(...CONTROL, ...RUNNERS), ...ENTRIES] },
    },
    {
      name: 'control-not-up',
      severity: 'error',
      comment: 'master/ and admin/ do not import server/, cli/, pomelo/, testing/ or the package entries.',
      from: { path: inFolders(...CONTROL) },
      to: { path: [inFolders(...RUNNERS), ...ENTRIES] },
    },
    {
      name: 'runners-not-up',
      severity: 'error',
      comment:
        'server/ (the bootstrap) and cli/ do not import pomelo/, testing/ or the package entries: ' +
        'those are the top floor, built on them.',
      from: { path: inFolders(...RUNNERS) },
      to: { path: ENTRIES },
    },
    {
      name: 'no-deep-import',
      severity: 'error',
      comment:
        'Folders of packages/shaddock/src meet only at their entries: import B/index.ts, B/internal.ts ' +
        'or B/testing.ts, not another file of folder B. Within a folder (and its subfolders) anything goes.',
      from: { path: `${SRC}([^/]+)/` },
      to: {
        path: `${SRC}[^/]+/`,
        pathNot: [`${SRC}$1/`, `${SRC}[^/]+/(?:index|internal|testing)\\.ts$`],
      },
    },
    {
      name: 'protocol-not-to-node',
      severity: 'error',
      comment:
        '@shaddock/protocol runs in browsers: it imports no Node module (node:* / core modules). ' +
        '(@shaddock/client is not checked: its Node entry uses node:net and node:tls for TCP.)',
      from: { path: '^packages/protocol/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-relative-import-across-packages',
      severity: 'error',
      comment:
        "Packages import each other by package name only (e.g. '@shaddock/protocol'), " +
        "never by a relative path into another package's folder.",
      from: { path: '^packages/([^/]+)/' },
      to: { dependencyTypes: ['local'], pathNot: '^packages/$1/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'A relative import that resolves to no file: the other rules cannot see where it leads, ' +
        'so fix it first.',
      from: {},
      // relative imports only: a workspace package resolves to its dist/, which exists only after a build
      to: { couldNotResolve: true, path: '^\\.\\.?/' },
    },
  ],
  options: {
    // tests may import anything: test files, test folders, and the test-only helpers that
    // packages/shaddock/tsconfig.json leaves out of the build (src/**/test-kit.ts)
    exclude: { path: '(?:^|/)(?:test|tests|__tests__)/|\\.test\\.ts$|\\.test-d\\.ts$|(?:^|/)test-kit\\.ts$' },
    doNotFollow: { path: ['(?:^|/)node_modules/', '^packages/[^/]+/dist/'] },
    // `import type` and `export type` are dependencies too (the default, false, would drop them)
    tsPreCompilationDeps: true,
    // imports end in .js and resolve to the .ts next to them; no `paths` today, but read them if added
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    skipAnalysisNotInRules: true,
  },
};
