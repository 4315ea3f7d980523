// Types for api-doc.mjs (imported by tests/node/api-doc.test.ts).

export declare const ROOT: string;
/** Absolute path of docs/api.md. */
export declare const API_DOC: string;

export interface ApiEntry {
  name: string;
  /** 'class', 'function', 'interface', 'type', 'const', 'namespace', ... */
  kind: string;
  /** First sentence of the symbol's doc comment; '' when it has none. */
  doc: string;
  /** `src/<file>:<line>` of the declaration. */
  where: string;
  /** A namespace's exports. */
  members?: ApiEntry[];
}

export interface ApiArea {
  key: string;
  title: string;
  blurb: string;
  entries: ApiEntry[];
  /** Set for an area that is a namespace of the root (`ops`). */
  namespace?: string;
}

export declare function firstSentence(text: string): string;
export declare function apiAreas(): ApiArea[];
export declare function renderApiDoc(areas?: ApiArea[]): string;
export declare function undocumented(areas?: ApiArea[]): string[];
