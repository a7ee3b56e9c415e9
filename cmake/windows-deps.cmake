# The dependencies of tayori-agent.exe, as scripts/build-windows.sh built
# them into TAYORI_WINDOWS_PREFIX (static libraries from Debian's sources),
# under the same target names as the Debian packages give on Linux, so the
# rest of the tree builds unchanged. protoc is the host's: it is the same
# protobuf version as the library built for Windows.
set(_prefix ${TAYORI_WINDOWS_PREFIX})
if(NOT EXISTS ${_prefix}/lib/libsodium.a)
  message(FATAL_ERROR "no Windows dependencies in '${_prefix}': run scripts/build-windows.sh")
endif()

# Windows 10 and 11, as the national client requires; a static exe that
# needs no DLL beside it (libstdc++, libgcc, winpthread linked in).
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 WIN32_LEAN_AND_MEAN NOMINMAX
                        ZMQ_STATIC SODIUM_STATIC)
add_link_options(-static)

function(tayori_windows_lib name file)
  add_library(${name} STATIC IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES IMPORTED_LOCATION ${file}
                        INTERFACE_INCLUDE_DIRECTORIES ${_prefix}/include
                        INTERFACE_LINK_LIBRARIES "${ARGN}")
endfunction()

file(GLOB _zmq ${_prefix}/lib/libzmq*.a)
list(GET _zmq 0 _zmq)
tayori_windows_lib(PkgConfig::SODIUM ${_prefix}/lib/libsodium.a advapi32)
tayori_windows_lib(PkgConfig::ZMQ ${_zmq} PkgConfig::SODIUM ws2_32 iphlpapi rpcrt4)
tayori_windows_lib(OpenSSL::Crypto ${_prefix}/lib/libcrypto.a ws2_32 crypt32 user32 advapi32)
tayori_windows_lib(yaml-cpp ${_prefix}/lib/libyaml-cpp.a)
tayori_windows_lib(PkgConfig::ZSTD ${_prefix}/lib/libzstd.a)

set(Protobuf_INCLUDE_DIR ${_prefix}/include)
set(Protobuf_LIBRARY ${_prefix}/lib/libprotobuf.a)
find_program(Protobuf_PROTOC_EXECUTABLE protoc REQUIRED)
find_package(Protobuf REQUIRED)
find_package(Threads REQUIRED)

foreach(_target nlohmann_json::nlohmann_json CLI11::CLI11 PkgConfig::HTTPLIB)
  add_library(${_target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${_target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${_prefix}/include)
endforeach()
set_target_properties(PkgConfig::HTTPLIB PROPERTIES INTERFACE_LINK_LIBRARIES "ws2_32;crypt32")
