'use strict'
// The load generator is the undici suite's: 16 connections, optionally pipelined.
require('../undici/client')
