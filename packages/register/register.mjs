// node --import @gazelle/register app.js: the app starts once the stack is open (or the
// register refused with an error saying why).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
await require('./dist/preload.js').start('import').ready
