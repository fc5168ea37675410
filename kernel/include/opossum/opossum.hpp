// Umbrella header of the Opossum event store.
#pragma once

#include "opossum/config.hpp"
#include "opossum/decision.hpp"
#include "opossum/errors.hpp"
#include "opossum/event_builder.hpp"
#include "opossum/event_store.hpp"
#include "opossum/helpers.hpp"
#include "opossum/maintenance.hpp"
#include "opossum/plugins.hpp"
#include "opossum/projections.hpp"
#include "opossum/query.hpp"
#include "opossum/types.hpp"
#include "opossum/version.hpp"
