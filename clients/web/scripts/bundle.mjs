// Builds the script-tag bundle of the package: dist/switchboard.min.js, one
// IIFE with the client and @bufbuild/protobuf that defines the global
// `Switchboard` (the same exports as the ES module: Switchboard.SwitchboardClient,
// Switchboard.SwitchboardError, ...), for pages without a bundler:
//
//   <script src="…/@switchboard/client/dist/switchboard.min.js"></script>
//   <script>const client = new Switchboard.SwitchboardClient({ … });</script>
//
// Its source map carries every source's text (sourcesContent), so it resolves
// without the sources next to it. Part of `npm run build`; needs only this
// folder and its node_modules.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(resolve(pkg, 'package.json'), 'utf8'));

await build({
  absWorkingDir: pkg,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/switchboard.min.js',
  bundle: true,
  format: 'iife',
  globalName: 'Switchboard',
  platform: 'browser',
  target: ['es2020', 'chrome90', 'firefox90', 'safari14'],
  minify: true,
  sourcemap: true,
  sourcesContent: true,
  legalComments: 'none',
  banner: { js: `/*! @switchboard/client ${version} | Apache-2.0 | https://www.apache.org/licenses/LICENSE-2.0 */` },
  logLevel: 'warning',
});
