#include "entities/v2/v2_actions.h"

namespace kith::entities::v2 {

void RegisterV2Actions(api::ActionRegistry& registry) {
  RegisterContactV2Actions(registry);
  RegisterRelationshipV2Actions(registry);
  RegisterGroupV2Actions(registry);
  RegisterCustomV2Actions(registry);
  RegisterTagV2Actions(registry);
}

}  // namespace kith::entities::v2
