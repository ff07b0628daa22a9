#!/usr/bin/env node
console.error('apex: not implemented yet');
process.exit(2);
