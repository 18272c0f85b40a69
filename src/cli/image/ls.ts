// `corral image ls`: one line per name (an unnamed image once, as <none>), like `podman images`.
import { familiarName, ImageStore, parseReference } from '../../image/index.js';
import { humanSize, shortId } from './format.js';

export async function imageLs(dataDir: string, o: { quiet?: boolean; digests?: boolean }): Promise<void> {
  const store = new ImageStore(dataDir);
  await store.ensureBuiltins();
  const images = await store.list();
  if (o.quiet) {
    for (const id of new Set(images.map((i) => shortId(i.configDigest)))) process.stdout.write(`${id}\n`);
    return;
  }
  const rows: string[][] = [
    ['REPOSITORY', 'TAG', ...(o.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'],
  ];
  for (const img of images) {
    const names = img.names.length ? img.names : [undefined];
    for (const n of names) {
      let repo = '<none>';
      let tag = '<none>';
      if (n) {
        const r = parseReference(n);
        repo = familiarName(`${r.domain}/${r.path}`);
        tag = r.tag ?? '<none>';
      }
      rows.push([
        repo,
        tag,
        ...(o.digests ? [img.digest] : []),
        shortId(img.configDigest),
        img.created?.slice(0, 19).replace('T', ' ') ?? '',
        humanSize(img.size),
      ]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows)
    process.stdout.write(
      r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]! + 2))).join('') + '\n',
    );
}
