#include "parsers/sip/values.hpp"
