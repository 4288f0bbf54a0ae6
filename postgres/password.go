package postgres

import "liaison/internal/password"

// PasswordCost is the argon2id cost of hashing a password.
type PasswordCost = password.Cost

// DefaultPasswordCost follows the OWASP minimum for argon2id: 19 MiB,
// 2 passes, 1 thread.
var DefaultPasswordCost = password.Default
