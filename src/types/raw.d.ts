// `import text from './file?raw'`: the file's content as a string, inlined by
// build.mjs (esbuild) and understood natively by vitest.
declare module '*?raw' {
  const content: string;
  export default content;
}
