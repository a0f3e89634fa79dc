import { readFileSync } from 'node:fs';
import { realpath, statfs } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, parse, resolve, sep } from 'node:path';

/**
 * Linux file systems that hold kernel state, never photos, by their statfs f_type (linux/magic.h). Walking one is
 * endless: /proc alone links back to the whole file system. tmpfs is not here: /tmp is often one, and photos may well
 * be put there.
 */
const PSEUDO_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x5a3c69f0, 'apparmorfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x6e736673, 'nsfs'],
  [0x958458f6, 'hugetlbfs'],
]);

/**
 * The same folders by path, for what statfs does not tell apart (/dev, whose devtmpfs reports tmpfs's number) and
 * for macOS and Windows, whose file-system numbers mean nothing here.
 */
const SYSTEM_PATHS: readonly (readonly [string, string])[] =
  process.platform === 'win32'
    ? [[process.env.SystemRoot ?? 'C:\\Windows', 'Windows']]
    : [
        ['/proc', 'proc'],
        ['/sys', 'sysfs'],
        ['/dev', 'devices'],
        ['/System', 'macOS'],
      ];

/** Whether the platform's default file system ignores the case of names (NTFS, APFS), as Linux's do not. */
export const caseInsensitiveNames = process.platform === 'win32' || process.platform === 'darwin';

/**
 * A name or path as the file system compares them: without case where it ignores case (by default the platform's,
 * Windows and macOS), as it is elsewhere.
 */
export const comparable = (name: string, caseInsensitive = caseInsensitiveNames): string =>
  caseInsensitive ? name.toLowerCase() : name;

/**
 * What every path inside `folder` (absolute, normalized) starts with: its path and one separator. A drive's or a
 * share's root keeps its separator already (E:\, \\nas\photos\, /).
 */
export const folderPrefix = (folder: string): string => (folder.endsWith(sep) ? folder : folder + sep);

/** Whether `path` is `folder` or lies inside it (both absolute and normalized). */
export function isUnder(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folderPrefix(folder));
}

/** The name of the pseudo file system `path` is on (statfs's f_type), undefined for any other. */
const pseudoFileSystem = (type: number): string | undefined => PSEUDO_FILE_SYSTEMS.get(type);

/** The root of the file system; on Windows only the system drive's, since another drive's root is a camera card's. */
function isFileSystemRoot(path: string): boolean {
  const root = parse(path).root;
  if (path !== root) return false;
  return process.platform !== 'win32' || comparable(root).startsWith(comparable(process.env.SystemDrive ?? 'C:'));
}

/**
 * Why `path` (absolute) cannot be a library folder, or undefined when it can: the root of the file system, or a
 * system folder, judged by its real path and its file system so that a link to /proc is refused like /proc. The
 * home folder is allowed: it is where photos live, and the scanner skips its hidden folders. Asked through Node's
 * thread pool: a share that no longer answers (hard-mounted, its server gone) holds a pool thread rather than the
 * caller's, which goes on serving the window meanwhile.
 */
export async function systemFolderReason(path: string): Promise<string | undefined> {
  // A folder that is gone (an unplugged drive) is judged by the path the library knows.
  const real = await realpath(path).catch(() => path);
  // Other kernels number their file systems differently.
  const type =
    process.platform === 'linux'
      ? await statfs(real).then(
          (stats) => stats.type,
          () => undefined,
        )
      : undefined;
  return refusal(real, type === undefined ? undefined : pseudoFileSystem(type));
}

/** Why the folder whose real path is `real`, on the pseudo file system named so if any, cannot be a library folder. */
function refusal(real: string, pseudoFileSystemName: string | undefined): string | undefined {
  if (isFileSystemRoot(real)) return 'it is the root of the file system, not a photo folder';
  const name =
    pseudoFileSystemName ?? SYSTEM_PATHS.find(([folder]) => isUnder(comparable(real), comparable(folder)))?.[1];
  return name ? `it is a system folder (${name}), not a photo folder` : undefined;
}

/**
 * The path with a leading `~` (alone, or before a separator) made the home folder, as a shell does: a folder typed
 * into the web form or quoted on the command line means the same as one the shell expanded.
 */
export function expandHome(path: string, home = homedir()): string {
  return path === '~' || path.startsWith('~/') || path.startsWith(`~${sep}`) ? join(home, path.slice(1)) : path;
}

/** XDG_PICTURES_DIR from the environment or from ~/.config/user-dirs.dirs (the desktop's "Pictures", localized). */
function xdgPicturesDir(env: NodeJS.ProcessEnv, home: string): string | undefined {
  let value = env.XDG_PICTURES_DIR;
  if (!value) {
    try {
      const dirs = readFileSync(join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'user-dirs.dirs'), 'utf8');
      value = /^XDG_PICTURES_DIR="(.*)"$/m.exec(dirs)?.[1];
    } catch {
      return undefined;
    }
  }
  return value ? resolve(home, value.replace(/^\$HOME(?=\/|$)/, home)) : undefined;
}

/**
 * Where photos usually are on this machine, for the add-folder form to offer: the desktop's pictures folder, then
 * ~/Pictures and ~/Photos, each once; whether each is a folder now is the caller's to look at (see
 * Library.folderSuggestions), as a folder on a share may not answer.
 */
export function suggestedFolders(env: NodeJS.ProcessEnv, home: string): string[] {
  const candidates = [xdgPicturesDir(env, home), join(home, 'Pictures'), join(home, 'Photos')];
  return [...new Set(candidates.filter((path): path is string => path !== undefined))];
}
