'use strict'
// Loads the compiled addon. packages/stack wraps this with clear errors for users.
module.exports = require('./build/Release/gazelle.node')
