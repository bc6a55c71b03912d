import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** One file of the built app, held in memory with its compressed variants. */
export interface Asset {
  body: Buffer;
  gzip?: Buffer;
  br?: Buffer;
  type: string;
  etag: string;
  /** Content-hashed by the build (`main-AB12CD34.js`): cacheable forever. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.html', '.json', '.svg', '.txt', '.ico']);
/** Angular's output hashing: `name-XXXXXXXX.ext` with an 8+ character upper-case base32 hash. */
const HASHED = /-[A-Z0-9]{8,}\.(js|mjs|css|woff2?)$/;

/** Where the built app is: config, else admin-ui/dist/browser next to this plugin in the repository. */
export function resolveDistDir(configured: string | undefined): string {
  if (configured) return path.resolve(configured);
  // src/ (sources) and dist/ (built) both sit two levels below plugins/console.
  return path.resolve(__dirname, '..', '..', '..', 'admin-ui', 'dist', 'browser');
}

function walk(dir: string, base = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full, base, out);
    else out.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return out;
}

/**
 * Reads every file of the built app into memory (a few hundred KB) and compresses what compresses,
 * once at start, so serving is a map lookup with no disk or CPU work per request.
 */
export async function loadAssets(dir: string): Promise<Map<string, Asset>> {
  if (!existsSync(path.join(dir, 'index.html'))) {
    throw new Error(
      `the console is not built: ${path.join(dir, 'index.html')} is missing. Run \`npm run build\` (or \`npm run build -w admin-ui\`), or set console.distDir`,
    );
  }
  const assets = new Map<string, Asset>();
  await Promise.all(
    walk(dir).map(async (rel) => {
      const body = readFileSync(path.join(dir, rel));
      const ext = path.extname(rel).toLowerCase();
      const asset: Asset = {
        body,
        type: TYPES[ext] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        immutable: HASHED.test(rel),
      };
      if (COMPRESSIBLE.has(ext) && body.length > 512) {
        const [gz, br] = await Promise.all([
          gzipAsync(body, { level: 9 }),
          brotliAsync(body, {
            params: { [constants.BROTLI_PARAM_QUALITY]: 10, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
          }),
        ]);
        if (gz.length < body.length) asset.gzip = gz;
        if (br.length < body.length) asset.br = br;
      }
      assets.set(rel, asset);
    }),
  );
  return assets;
}
