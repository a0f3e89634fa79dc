/** Start-up and window rules of the desktop shell, as plain functions (nothing here imports electron). */

/**
 * Why Phototag cannot run on this platform, as a sentence; undefined where it can. onnxruntime-node ships macOS
 * binaries for Apple silicon only (bin/napi-v6/darwin/arm64), so on an Intel Mac the window would open and never
 * tag a photo; it is refused at start instead (and the dmg is built for arm64 only).
 */
export function platformProblem(platform: NodeJS.Platform, arch: string): string | undefined {
  if (platform === 'darwin' && arch !== 'arm64')
    return 'Phototag needs a Mac with Apple silicon: onnxruntime-node, which runs its models, has no build for Intel Macs.';
  return undefined;
}

/**
 * The window a dialog may be attached to: none once it is destroyed (macOS keeps the app, and its menu, running
 * after the last window closes, and Electron throws "Object has been destroyed" for a destroyed parent).
 */
export function liveWindow<T extends { isDestroyed(): boolean }>(window: T | undefined): T | undefined {
  return window && !window.isDestroyed() ? window : undefined;
}

/**
 * Why Electron's sandbox will abort at start on this Linux, with what to do (never `--no-sandbox`); undefined when
 * it will start. Where unprivileged user namespaces are restricted (Ubuntu 24.04 and later, by AppArmor), Chromium
 * falls back to the SUID helper `chrome-sandbox`, which must then be owned by root with mode 4755.
 */
export function sandboxProblem(
  helper: string,
  userNamespacesRestricted: boolean,
  stats: { uid: number; mode: number } | undefined,
): string | undefined {
  if (!userNamespacesRestricted || !stats || (stats.uid === 0 && (stats.mode & 0o4000) !== 0)) return undefined;
  return (
    `This Linux restricts user namespaces, so Electron's sandbox needs ${helper} owned by root with mode 4755 ` +
    `(else it aborts: "SUID sandbox helper ... not configured correctly"): run ` +
    `\`sudo chown root:root ${helper} && sudo chmod 4755 ${helper}\`.`
  );
}
