/** See compile-with-sources.js. */
export function compileWithSources(tsconfig: string, outDir: string): Promise<void>;
