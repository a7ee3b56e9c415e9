// The version of tayori's programs (`--version`, the Home screen).
#ifndef TAYORI_COMMON_VERSION_H_
#define TAYORI_COMMON_VERSION_H_

namespace tayori {

inline constexpr char kVersion[] = "0.5.0";

}  // namespace tayori

#endif  // TAYORI_COMMON_VERSION_H_
