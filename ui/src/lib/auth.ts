// Kestra's OSS credential policy: username is an email; password >= 8 chars with upper, lower, digit; <= 256.
export function passwordProblems(user: string, password: string, confirm?: string): string[] {
  const p: string[] = [];
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(user)) p.push("The username must be a valid email");
  if (password.length < 8) p.push("At least 8 characters");
  if (password.length > 256) p.push("At most 256 characters");
  if (!/[A-Z]/.test(password)) p.push("At least one upper-case letter");
  if (!/[a-z]/.test(password)) p.push("At least one lower-case letter");
  if (!/\d/.test(password)) p.push("At least one digit");
  if (confirm !== undefined && confirm !== password) p.push("Passwords don't match");
  return p;
}
