import { MediaQuery } from 'svelte/reactivity';

/**
 * The library sidebar: docked beside the grid in a wide window until its menu button hides it, and in a narrow one
 * (a phone) an overlay drawer, closed until the menu button opens it. The width is App.svelte's narrow layout.
 */
export class SidebarState {
  readonly #narrow = new MediaQuery('max-width: 720px');
  #docked = $state(true);
  #drawer = $state(false);

  get narrow(): boolean {
    return this.#narrow.current;
  }

  /** The drawer over the page; a window widened past the phone layout docks the sidebar instead. */
  get drawerOpen(): boolean {
    return this.narrow && this.#drawer;
  }

  get shown(): boolean {
    return this.narrow ? this.#drawer : this.#docked;
  }

  toggle(): void {
    if (this.narrow) this.#drawer = !this.#drawer;
    else this.#docked = !this.#docked;
  }

  closeDrawer(): void {
    this.#drawer = false;
  }
}
