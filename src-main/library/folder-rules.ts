import { sep } from 'node:path';

/** Whether `path` is `folder` or lies inside it (both absolute and normalized). */
export function isUnder(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}
