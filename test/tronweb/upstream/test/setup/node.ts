// @ts-ignore
export * from 'tronweb';
