import { DOMParser, XMLSerializer, type Document, type Element, type Node } from '@xmldom/xmldom';

/** The namespaces Phototag writes: the three keyword fields other apps read, and its own record. */
export const NS = {
  x: 'adobe:ns:meta/',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dc: 'http://purl.org/dc/elements/1.1/',
  lr: 'http://ns.adobe.com/lightroom/1.0/',
  digiKam: 'http://www.digikam.org/ns/1.0/',
  phototag: 'https://phototag.app/ns/xmp/1.0/',
} as const;

const localName = (qualified: string) => qualified.slice(qualified.indexOf(':') + 1);

/** One tag as Phototag writes it: the keyword, its place in the hierarchy, and where it came from. */
export interface XmpTag {
  kind: 'label' | 'category';
  id: string;
  /** The keyword (dc:subject): the tag's display name. */
  name: string;
  /** Its path below the root, e.g. ["Phototag", "Dog", "Golden retriever"]. */
  path: string[];
  score: number;
  source: 'model' | 'user' | 'file';
  /** The tagger that gave a model tag ("mobilenet-v2-imagenet@1"); null for the user's and the file's. */
  model: string | null;
}

/** A Bag or Seq property: its namespace (by prefix), qualified name and container. */
interface ListName {
  ns: keyof typeof NS;
  name: string;
  container: 'rdf:Bag' | 'rdf:Seq';
}

/**
 * The keyword fields other apps read, the value each takes of a tag, and the Phototag field recording which of its
 * values Phototag added: only those are Phototag's to replace, every other value belongs to another program.
 */
type Field = { list: ListName; record: ListName; value: (tag: XmpTag) => string };

const field = (list: ListName, value: Field['value']): Field => ({
  list,
  record: { ns: 'phototag', name: `phototag:${localName(list.name)}`, container: 'rdf:Bag' },
  value,
});

const SUBJECT = field({ ns: 'dc', name: 'dc:subject', container: 'rdf:Bag' }, (tag) => tag.name);
const FIELDS: Field[] = [
  SUBJECT,
  field({ ns: 'lr', name: 'lr:hierarchicalSubject', container: 'rdf:Bag' }, (tag) => tag.path.join('|')),
  field({ ns: 'digiKam', name: 'digiKam:TagsList', container: 'rdf:Seq' }, (tag) => tag.path.join('/')),
];

const TAGS_RECORD = 'phototag:tags';

const EMPTY_PACKET = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Phototag">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;

/**
 * The most XMP Phototag reads, a sidecar or a photo's own packet: keyword sidecars are a few KB, and large ones
 * with an editor's history well under this, while xmldom takes seconds a MiB of hostile markup.
 */
export const MAX_XMP_BYTES = 1024 * 1024;

/**
 * The packet without the padding past its end (eagle.jpg's and kite_and_cold.jpg's end in a NUL byte), trimmed by a
 * walk back from the end: the regular expression /[\0\s]+$/ took quadratic time over a long run of spaces that
 * is not at the end (a megabyte of them stalled the engine for half an hour).
 */
function withoutTrailingPadding(xml: string): string {
  let end = xml.length;
  while (end > 0 && (xml.charCodeAt(end - 1) === 0 || xml[end - 1]!.trim() === '')) end--;
  return xml.slice(0, end);
}

/**
 * Parses a packet, with xmldom's complaints as a reason: it expands no entity (an external one, as in XXE, or
 * nested ones, as in a billion laughs, is an error) and reads no file or URL.
 */
function parse(xml: string): Document {
  if (xml.length > MAX_XMP_BYTES) throw new Error(`it is over ${MAX_XMP_BYTES / 1024 / 1024} MiB`);
  let complaint: string | undefined;
  try {
    return new DOMParser({
      onError: (level, message) => {
        if (level === 'warning') return;
        complaint = message;
        throw new Error(message);
      },
    }).parseFromString(withoutTrailingPadding(xml), 'application/xml');
  } catch (error) {
    throw new Error(`it is not well-formed XML (${complaint ?? (error as Error).message})`, { cause: error });
  }
}

const elements = (parent: Document | Element, ns: string, localName: string): Element[] =>
  Array.from(parent.getElementsByTagNameNS(ns, localName));

function rdfRoot(doc: Document): Element {
  const root = elements(doc, NS.rdf, 'RDF')[0];
  if (!root) throw new Error('it holds no rdf:RDF element, so it is no XMP');
  return root;
}

/** The values of a Bag or Seq property wherever it is, in document order. */
function listValues(doc: Document, { ns, name }: ListName): string[] {
  return elements(doc, NS[ns], localName(name)).flatMap((property) =>
    elements(property, NS.rdf, 'li').map((li) => li.textContent ?? ''),
  );
}

/** How deep an element sits in its document, for indenting what is added (one space a level, as ExifTool does). */
function depth(node: Node): number {
  let level = 0;
  for (let parent = node.parentNode; parent && parent.nodeType === parent.ELEMENT_NODE; parent = parent.parentNode) {
    level++;
  }
  return level;
}

/**
 * Appends `child` on its own line, indented one level below `parent` (at `level`), keeping the parent's closing
 * tag on a line of its own.
 */
function appendIndented(parent: Element, child: Node, level = depth(parent)): void {
  const doc = parent.ownerDocument!;
  const last = parent.lastChild;
  const closing = last && last.nodeType === last.TEXT_NODE && !last.nodeValue?.trim() ? last : undefined;
  if (!closing) parent.appendChild(doc.createTextNode(`\n${' '.repeat(level)}`));
  const anchor = parent.lastChild!;
  parent.insertBefore(doc.createTextNode(`\n${' '.repeat(level + 1)}`), anchor);
  parent.insertBefore(child, anchor);
}

/** Removes an element with the whitespace that put it on its own line. */
function removeIndented(element: Element): void {
  const before = element.previousSibling;
  if (before && before.nodeType === before.TEXT_NODE && !before.nodeValue?.trim())
    before.parentNode?.removeChild(before);
  element.parentNode?.removeChild(element);
}

/** A Bag or Seq property, built apart: `level` is where it will sit. */
function listElement(doc: Document, name: ListName, values: string[], level: number): Element {
  const property = doc.createElementNS(NS[name.ns], name.name);
  const list = doc.createElementNS(NS.rdf, name.container);
  appendIndented(property, list, level);
  for (const value of values) {
    const li = doc.createElementNS(NS.rdf, 'rdf:li');
    li.appendChild(doc.createTextNode(value));
    appendIndented(list, li, level + 1);
  }
  return property;
}

function tagsElement(doc: Document, tags: XmpTag[], level: number): Element {
  const property = doc.createElementNS(NS.phototag, TAGS_RECORD);
  const bag = doc.createElementNS(NS.rdf, 'rdf:Bag');
  appendIndented(property, bag, level);
  for (const tag of tags) {
    const li = doc.createElementNS(NS.rdf, 'rdf:li');
    li.setAttributeNS(NS.rdf, 'rdf:parseType', 'Resource');
    appendIndented(bag, li, level + 1);
    const fields: [string, string][] = [
      ['kind', tag.kind],
      ['id', tag.id],
      ['name', tag.name],
      ['score', tag.score.toFixed(3)],
      ['source', tag.source],
      ...(tag.model ? [['model', tag.model] as [string, string]] : []),
    ];
    for (const [name, value] of fields) {
      const field = doc.createElementNS(NS.phototag, `phototag:${name}`);
      field.appendChild(doc.createTextNode(value));
      appendIndented(li, field, level + 2);
    }
  }
  return property;
}

/** The Description that carries a property already, or the first one (where new properties go). */
function descriptionFor(doc: Document, { ns, name }: Pick<ListName, 'ns' | 'name'>): Element {
  const existing = elements(doc, NS[ns], localName(name))[0]?.parentNode as Element | undefined;
  if (existing) return existing;
  const description = elements(doc, NS.rdf, 'Description')[0];
  if (description) return description;
  const created = doc.createElementNS(NS.rdf, 'rdf:Description');
  created.setAttributeNS(NS.rdf, 'rdf:about', '');
  appendIndented(rdfRoot(doc), created);
  return created;
}

/** Declares a property's namespace on its Description, as other writers do, rather than on each property. */
function declare(description: Element, ns: keyof typeof NS): void {
  if (description.lookupNamespaceURI(ns) !== NS[ns]) {
    description.setAttributeNS('http://www.w3.org/2000/xmlns/', `xmlns:${ns}`, NS[ns]);
  }
}

/** Replaces a property with `build`'s (or only removes it, when `build` is undefined), in the Description that held it. */
function replaceProperty(doc: Document, name: Pick<ListName, 'ns' | 'name'>, build?: (level: number) => Element): void {
  const description = descriptionFor(doc, name);
  for (const old of elements(doc, NS[name.ns], localName(name.name))) removeIndented(old);
  if (!build) return;
  declare(description, name.ns);
  appendIndented(description, build(depth(description) + 1));
}

const setList = (doc: Document, name: ListName, values: string[]) =>
  replaceProperty(doc, name, values.length > 0 ? (level) => listElement(doc, name, values, level) : undefined);

/**
 * Merges Phototag's tags into an XMP packet (a sidecar's, or a photo's own), or makes a new one. Everything another
 * program wrote stays: other namespaces, and in each keyword field the values Phototag did not add. Of Phototag's
 * own values, recorded in its namespace, those of tags the photo no longer carries leave. A value another program
 * wrote already is not added again, nor claimed. The result is the same bytes for the same input and tags, so
 * writing it twice changes nothing.
 */
export function mergeXmp(existing: string | undefined, tags: XmpTag[]): string {
  const doc = parse(existing ?? EMPTY_PACKET);
  rdfRoot(doc);
  for (const field of FIELDS) {
    const ours = new Set(listValues(doc, field.record));
    const kept: string[] = [];
    // The other programs' values keep their order; Phototag's and any duplicates leave.
    for (const value of listValues(doc, field.list)) {
      if (!ours.has(value) && !kept.includes(value)) kept.push(value);
    }
    const added = [...new Set(tags.map(field.value))].filter((value) => !kept.includes(value));
    setList(doc, field.list, [...kept, ...added]);
    setList(doc, field.record, added);
  }
  replaceProperty(
    doc,
    { ns: 'phototag', name: TAGS_RECORD },
    tags.length > 0 ? (level) => tagsElement(doc, tags, level) : undefined,
  );
  return new XMLSerializer().serializeToString(doc);
}

/**
 * The keywords a packet carries that Phototag did not write (dc:subject less what its namespace records): the
 * keywords another program or the user put there. Throws on a packet that is not XML.
 */
export function foreignKeywords(xml: string): string[] {
  const doc = parse(xml);
  const ours = new Set(listValues(doc, SUBJECT.record));
  return listValues(doc, SUBJECT.list)
    .map((value) => value.trim())
    .filter((value) => value && !ours.has(value));
}

/**
 * What of a packet Phototag's merge decides: its keyword fields, its record and its tags. Two packets with the same
 * facts need no write, whatever ExifTool's formatting of a photo's own packet made of the bytes.
 */
export function xmpFacts(xml: string | undefined): string {
  if (xml === undefined) return JSON.stringify(null);
  const doc = parse(xml);
  const lists = FIELDS.flatMap((field) => [listValues(doc, field.list), listValues(doc, field.record)]);
  const tags = elements(doc, NS.phototag, localName(TAGS_RECORD)).map((element) =>
    Array.from(element.getElementsByTagNameNS(NS.phototag, '*')).map((field) => [field.localName, field.textContent]),
  );
  return JSON.stringify({ lists, tags });
}
