#include "parsers/sip/validate.hpp"
