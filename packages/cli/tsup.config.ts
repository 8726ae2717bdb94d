import { packageConfig } from '../../tsup.base.ts';

// The @aiops/* packages are bundled into the cli, so that `npm i -g` of the packed cli alone gives a working
// `aiops`; their third-party dependencies are the cli's own dependencies.
export default packageConfig({ entry: ['src/index.ts', 'src/bin.ts'], noExternal: [/^@aiops\//] });
