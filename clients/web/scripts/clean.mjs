// Removes build output folders (node scripts/clean.mjs dist dist-test), so
// that a build never ships files of sources that were deleted since.
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
for (const dir of process.argv.slice(2)) rmSync(resolve(pkg, dir), { recursive: true, force: true });
