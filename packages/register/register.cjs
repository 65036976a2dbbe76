'use strict'
// node -r @gazelle/register app.js: installs the hooks now; the stack opens in the
// background and sockets that route wait for it.
require('./dist/preload.js').start('require')
