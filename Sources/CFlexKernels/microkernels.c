#include "CFlexKernels.h"
