/**
 * A generated part of a docs page: the text between two marker comments,
 * rendered from the code it documents (the fault cases, the field table) so
 * the page cannot drift from it. Each generator script describes its section
 * and runs `sectionMain`: `--write` rewrites the page, otherwise it prints
 * the section.
 */
import { readFileSync, writeFileSync } from "node:fs";

export interface GeneratedSection {
  /** The page the section lives in. */
  path: string;
  start: string;
  end: string;
  /** Named in the error when a marker is missing. */
  name: string;
  render(): string;
}

/** `doc` with the text between the section's markers replaced by a fresh rendering. */
export function withSection(section: GeneratedSection, doc: string): string {
  const start = doc.indexOf(section.start);
  const end = doc.indexOf(section.end);
  if (start < 0 || end < start) throw new Error(`${section.path}: the ${section.name} markers are missing`);
  return `${doc.slice(0, start + section.start.length)}\n${section.render()}\n${doc.slice(end)}`;
}

/** A generator script's command line: `--write` updates the page in place, otherwise the section is printed. */
export function sectionMain(section: GeneratedSection): void {
  if (process.argv.includes("--write")) {
    writeFileSync(section.path, withSection(section, readFileSync(section.path, "utf8")));
    process.stderr.write(`updated ${section.path}\n`);
  } else {
    process.stdout.write(section.render() + "\n");
  }
}
