// OpenSSL's libcrypto (libssl-dev; libcurl already links it): scrypt, random bytes and a
// constant-time comparison for SecretDigest.
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
