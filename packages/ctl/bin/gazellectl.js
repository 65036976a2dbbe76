#!/usr/bin/env node
// gazellectl: see `gazellectl --help`. The code lives in dist/ (built by npm run build).
'use strict'
require('../dist/cli.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code
  })
