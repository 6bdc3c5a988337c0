// ESM view of the declarations in index.d.ts (the same classes).
import * as tokenwell from './index.js'
export * from './index.js'
export default tokenwell
