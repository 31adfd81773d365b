/*
 * Vitrine plugin SDK, C part: everything in one include. Link the static
 * library Vitrine::sdk (docs/sdk.md). Every function is hidden from a
 * plugin's exports (ABI-2): the library is built with hidden visibility.
 */
#ifndef VITRINE_SDK_SDK_H
#define VITRINE_SDK_SDK_H

#include "vitrine/sdk/buf.h"
#include "vitrine/sdk/escape.h"
#include "vitrine/sdk/json.h"
#include "vitrine/sdk/time.h"

#endif /* VITRINE_SDK_SDK_H */
