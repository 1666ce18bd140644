/** Types for edge-dev.mjs (plain JavaScript, shared by `npm start`, the tests and the benchmarks). */
export const repoRoot: string;
export const wranglerBin: string;
export function edgeEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export function wranglerDevArgs(options: { port: number; persistTo: string; logLevel?: string; inspectorPort?: number; config?: string }): string[];
