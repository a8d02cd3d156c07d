// Dependency direction of the repository (docs: DESIGN.md "Layout"), checked by
// `npm run depcheck` in `npm test`.
//
// Every path pattern is anchored at ROOT, which is the repository root ('') in normal runs. The
// proof in test/depcheck-proof.sh sets WATCHPOST_DEPCHECK_ROOT to a fixture tree under
// test/fixtures/depcheck/ and runs this same file over it, to show that the rules reject what
// they should. Nothing else about the rules changes between the two runs.
'use strict';

const RAW_ROOT = process.env.WATCHPOST_DEPCHECK_ROOT ?? '';
const ROOT = RAW_ROOT === '' ? '' : RAW_ROOT.replace(/\/*$/, '/');
const P = ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The top-level folders that hold code of the repository. */
const AREAS = ['core', 'ingest', 'engine', 'rules', 'playbooks', 'backends', 'api', 'console', 'reports', 'cli', 'scripts', 'test', 'deploy', 'bin'];

/** A pattern matching files under any of the given top-level folders (may include sub-paths). */
const under = (...folders) => `^${P}(${folders.join('|')})/`;

/** Any module of the repository: a file in one of the areas, or a file at the root. */
const REPO = [under(...AREAS), `^${P}[^/]+\\.(?:[cm]?[jt]sx?|json)$`];

/** Tests may import anything (they are exempt from the layering rules, not from no-circular). */
const TESTS = ['\\.test\\.[cm]?[jt]sx?$', under('test')];

/** `area` may import only core/ and itself. */
const onlyCoreAndSelf = (area) => ({
  name: `${area}-imports-only-core`,
  comment: `${area}/ may import core/ and ${area}/ only, never another area (DESIGN.md "Layout").`,
  severity: 'error',
  from: { path: under(area), pathNot: TESTS },
  to: { path: REPO, pathNot: under('core', area) },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Circular dependencies make load order and ownership unclear; break the cycle.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that cannot be resolved is a typo or a missing file.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'core-imports-nothing',
      comment: 'core/ is the shared kernel: it imports nothing else of the repository.',
      severity: 'error',
      from: { path: under('core'), pathNot: TESTS },
      to: { path: REPO, pathNot: under('core') },
    },
    onlyCoreAndSelf('ingest'),
    onlyCoreAndSelf('engine'),
    onlyCoreAndSelf('playbooks'),
    onlyCoreAndSelf('reports'),
    {
      name: 'backends-import-only-core',
      comment: 'backends/ implement core/ interfaces and import core/ only.',
      severity: 'error',
      from: { path: under('backends'), pathNot: TESTS },
      to: { path: REPO, pathNot: under('core', 'backends') },
    },
    {
      name: 'backend-not-to-other-backend',
      comment: 'backends/X must not import backends/Y: each technology stands alone.',
      severity: 'error',
      from: { path: `${under('backends')}([^/]+)/`, pathNot: TESTS },
      to: { path: under('backends'), pathNot: `${under('backends')}$2/` },
    },
    {
      name: 'api-imports-core-engine-actions',
      comment: 'api/ may import core/, engine/ and the action registry (playbooks/actions/) only.',
      severity: 'error',
      from: { path: under('api'), pathNot: TESTS },
      to: { path: REPO, pathNot: under('core', 'engine', 'api', 'playbooks/actions') },
    },
    {
      name: 'console-imports-only-api-types',
      comment: 'console/ talks to the API over HTTP; of the repository it may import only api/ types.',
      severity: 'error',
      from: { path: under('console'), pathNot: TESTS },
      to: { path: REPO, pathNot: under('console', 'api') },
    },
    {
      name: 'console-api-type-only',
      comment: 'console/ may import api/ with `import type` only; a value import would bundle the server.',
      severity: 'error',
      from: { path: under('console'), pathNot: TESTS },
      to: { path: under('api'), dependencyTypesNot: ['type-only', 'type-import'] },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'cli/ is the composition root; nothing imports it.',
      severity: 'error',
      from: { pathNot: [under('cli'), ...TESTS] },
      to: { path: under('cli') },
    },
    {
      name: 'only-cli-imports-api',
      comment: 'Only cli/ composes the API server (console/ may import its types, see above).',
      severity: 'error',
      from: { pathNot: [under('cli', 'api', 'console'), ...TESTS] },
      to: { path: under('api') },
    },
    {
      name: 'production-not-to-tests',
      comment: 'Production code never imports test/ or *.test.ts files.',
      severity: 'error',
      from: { pathNot: TESTS },
      to: { path: TESTS },
    },
  ],
  options: {
    doNotFollow: { path: ['(^|/)node_modules/'] },
    exclude: {
      path: [
        '(^|/)node_modules/',
        '(^|/)dist/',
        '^(\\.cache|\\.git|\\.test-results|coverage|data|docs)/',
        ...(ROOT === '' ? ['^test/fixtures/'] : []),
      ],
    },
    moduleSystems: ['es6', 'cjs'],
    // See type-only imports too, so `import type` cycles and console -> api types are checked.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
