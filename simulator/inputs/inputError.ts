// Bad input the user can fix (missing file, malformed row, unknown flag): reported, exit code 2.
export class InputError extends Error {}
