declare module '*?modulePath' {
  const path: string;
  export default path;
}

/** electron-vite copies the file into the build and gives its path at run time. */
declare module '*?asset' {
  const path: string;
  export default path;
}
