import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foreignKeywords, MAX_XMP_BYTES } from '../../src-main/xmp/xmp-document.js';

const packet = (inside: string, after = '') =>
  `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
  `<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag><rdf:li>Grandma</rdf:li>` +
  `</rdf:Bag></dc:subject></rdf:Description></rdf:RDF>${inside}</x:xmpmeta>${after}`;

describe('XMP packets', () => {
  it('reads a packet padded past its end with NUL bytes and spaces', () => {
    assert.deepEqual(foreignKeywords(packet('', '\n  \0')), ['Grandma']);
  });

  // A test timeout, not a timing assertion: the trailing-padding regular expression took about half an hour here.
  it('reads a packet of the largest size with a megabyte of spaces inside, not at its end', { timeout: 60_000 }, () => {
    const spaces = ' '.repeat(MAX_XMP_BYTES - packet('').length - 1);
    assert.deepEqual(foreignKeywords(packet(spaces)), ['Grandma']);
  });
});
