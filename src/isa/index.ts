// Public surface of the ISA layer.
export * from './catalogue.js';
export * from './errors.js';
export * from './parse.js';
export * from './linux.js';
export * from './profiles.js';
export * from './profile-check.js';
