// Symbol visibility for the SDK and kernel libraries (everything else is hidden).
#pragma once

#define OPOSSUM_EXPORT __attribute__((visibility("default")))
