// Bundles src/main.ts and @switchboard/client into dist/main.js (one ES
// module, with a source map) for index.html. `npm run build`; add
// `--watch` while developing.
import { context } from 'esbuild';

const ctx = await context({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: true,
  logLevel: 'info',
});
if (process.argv.includes('--watch')) {
  await ctx.watch();
} else {
  await ctx.rebuild();
  await ctx.dispose();
}
