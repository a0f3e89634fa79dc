import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { missingVulkan } from '../../src-main/classifier/execution-providers.js';
import { tempDir } from '../helpers.js';

describe('Vulkan for WebGPU on Linux', () => {
  const root = tempDir();
  const lib = join(root, 'lib');
  const drivers = join(root, 'icd.d');
  mkdirSync(lib);
  mkdirSync(drivers);
  const places = { loaderDirs: [lib], driverDirs: [drivers, join(root, 'absent')] };

  it('is missing without its loader', () => {
    assert.equal(missingVulkan(places), 'no Vulkan driver (the Vulkan loader, libvulkan.so.1, is not installed)');
  });

  it('is missing with the loader alone, no GPU driver registered with it', () => {
    writeFileSync(join(lib, 'libvulkan.so.1'), '');
    assert.match(missingVulkan(places)!, /^no Vulkan driver \(no GPU driver is registered in .*icd\.d, /);
  });

  it('is there with the loader and a driver, registered in a folder or named by VK_DRIVER_FILES', () => {
    assert.equal(missingVulkan({ ...places, namedDrivers: '/opt/gpu/icd.json' }), undefined);
    writeFileSync(join(drivers, 'nvidia_icd.json'), '{}');
    assert.equal(missingVulkan(places), undefined);
  });
});
