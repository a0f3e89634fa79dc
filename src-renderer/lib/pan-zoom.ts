/** A photo viewer's geometry: where a photo of `photo` pixels lies in a stage of `box` pixels. */
export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** Screen pixels per photo pixel, and where the photo's top-left corner lies in the stage. */
export interface View {
  scale: number;
  x: number;
  y: number;
}

/** How far a photo may be enlarged: four times its own pixels, or four times the fit for a small photo. */
const MAX_ZOOM = 4;

/** The whole photo, as large as the stage allows, centred (object-fit: contain). */
export function fitView(box: Size, photo: Size): View {
  const scale = fitScale(box, photo);
  return { scale, x: (box.width - photo.width * scale) / 2, y: (box.height - photo.height * scale) / 2 };
}

const fitScale = (box: Size, photo: Size) => Math.min(box.width / photo.width, box.height / photo.height);
const maxScale = (box: Size, photo: Size) => Math.max(MAX_ZOOM, fitScale(box, photo) * MAX_ZOOM);

export const isZoomed = (view: View, box: Size, photo: Size) => view.scale > fitScale(box, photo) * 1.001;

/** Centres a side that fits, and keeps a larger side covering the stage: no empty band while panning. */
export function clampView(view: View, box: Size, photo: Size): View {
  const scale = Math.min(Math.max(view.scale, fitScale(box, photo)), maxScale(box, photo));
  const place = (position: number, room: number, length: number) =>
    length <= room ? (room - length) / 2 : Math.min(0, Math.max(room - length, position));
  return {
    scale,
    x: place(view.x, box.width, photo.width * scale),
    y: place(view.y, box.height, photo.height * scale),
  };
}

/** Zooms by `factor`, keeping the photo's pixel under `at` where it is (the pointer, or the stage's centre). */
export function zoomAt(view: View, factor: number, at: Point, box: Size, photo: Size): View {
  const scale = Math.min(Math.max(view.scale * factor, fitScale(box, photo)), maxScale(box, photo));
  const ratio = scale / view.scale;
  return clampView({ scale, x: at.x - (at.x - view.x) * ratio, y: at.y - (at.y - view.y) * ratio }, box, photo);
}

export const panBy = (view: View, dx: number, dy: number, box: Size, photo: Size) =>
  clampView({ scale: view.scale, x: view.x + dx, y: view.y + dy }, box, photo);

/** A double click's zoom: to the photo's own pixels, or twice the fit when the photo is smaller than the stage. */
export function detailFactor(view: View): number {
  return Math.max(1, view.scale * 2) / view.scale;
}
