// Umbrella header of the Opossum event store.
#pragma once

#include "opossum/errors.hpp"
#include "opossum/event_store.hpp"
#include "opossum/query.hpp"
#include "opossum/types.hpp"
#include "opossum/version.hpp"
