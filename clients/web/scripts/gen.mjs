// Generates TypeScript types for the client protocol from /proto with the
// system protoc and protoc-gen-es (pinned in package.json). Output: src/gen/
// (not committed; `npm run build` regenerates it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const root = resolve(pkg, '../..');
const out = join(pkg, 'src/gen');
const protoc = process.env.PROTOC || '/usr/bin/protoc';

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(
  protoc,
  [
    `--plugin=protoc-gen-es=${join(pkg, 'node_modules/.bin/protoc-gen-es')}`,
    `--es_out=${out}`,
    '--es_opt=target=ts,import_extension=js',
    `-I${root}`,
    '-I/usr/include',
    'proto/switchboard/client/v1/client.proto',
  ],
  { cwd: root, stdio: 'inherit' },
);
