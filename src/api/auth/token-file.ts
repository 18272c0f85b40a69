// kube-apiserver's --token-auth-file: a CSV of `token,user,uid,"group1,group2"` lines (the groups
// column is optional). Read once at start, as kube-apiserver does.
import { readFile } from 'node:fs/promises';
import type { UserInfo } from '../resources/types.js';

/** Splits one CSV line, honouring double quotes ("" inside quotes is a literal quote). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  out.push(cur);
  return out.map((f) => f.trim());
}

export function parseTokenFile(text: string, path: string): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    const where = `--token-auth-file ${path}: line ${i + 1}`;
    let f: string[];
    try {
      f = csvFields(line);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
    }
    if (f.length < 3 || !f[0] || !f[1])
      throw new Error(
        `${where}: must have at least 3 columns (token, user name, user uid), found ${f.length}; e.g. s3cret,alice,1001,"dev,ops"`,
      );
    const groups = (f[3] ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
    tokens.set(f[0], {
      username: f[1],
      ...(f[2] ? { uid: f[2] } : {}),
      groups: [...groups, 'system:authenticated'],
    });
  });
  return tokens;
}

export async function loadTokenFile(path: string): Promise<Map<string, UserInfo>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`--token-auth-file: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseTokenFile(text, path);
}
