# Packaging.cmake -- install rules for everything that is not a binary (man
# pages, example configurations, systemd units, sysusers/tmpfiles snippets)
# and the CPack Debian packages (make package): liaison, and for integrators
# libliaison0, liaison-dev and python3-liaison (see the end of this file).
#
# The binaries are installed by broker/, agent/ and cli/ (sbin and bin).
# Layout with CMAKE_INSTALL_PREFIX=/usr (the .deb):
#   /usr/share/man/man{1,5,8}/     liaison.1 liaison.conf.5 liaison-*.8
#   /usr/share/doc/liaison/examples/  broker.conf agent.conf (from -E),
#                                  patroni.yml.example (PostgreSQL cluster)
#   /usr/share/doc/liaison/        operations, integrators, threat model...
#   /usr/lib/systemd/system/       liaison-broker.service liaison-agent.service
#                                  liaison-agent@.service
#   /usr/lib/sysusers.d/liaison.conf, /usr/lib/tmpfiles.d/liaison.conf
#   /usr/share/bash-completion/completions/liaison

set(LSN_MAN_DIR ${PROJECT_SOURCE_DIR}/docs/man)
install(FILES ${LSN_MAN_DIR}/liaison.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${LSN_MAN_DIR}/liaison.conf.5
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${LSN_MAN_DIR}/liaison-broker.8 ${LSN_MAN_DIR}/liaison-agent.8
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)

install(FILES ${PROJECT_SOURCE_DIR}/config/broker.conf
  ${PROJECT_SOURCE_DIR}/config/agent.conf
  ${PROJECT_SOURCE_DIR}/config/patroni.yml.example
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
foreach(doc README.md docs/operations.md docs/integrators.md
    docs/threat-model.md docs/protocol.md docs/architecture.md)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${doc})
    install(FILES ${PROJECT_SOURCE_DIR}/${doc} DESTINATION ${CMAKE_INSTALL_DOCDIR})
  endif()
endforeach()

# systemd wants its units below <prefix>/lib, not the multiarch libdir.
install(FILES ${PROJECT_SOURCE_DIR}/config/liaison-broker.service
  ${PROJECT_SOURCE_DIR}/config/liaison-agent.service
  ${PROJECT_SOURCE_DIR}/config/liaison-agent@.service
  DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/config/liaison.sysusers.conf
  DESTINATION lib/sysusers.d RENAME liaison.conf)
install(FILES ${PROJECT_SOURCE_DIR}/config/liaison.tmpfiles.conf
  DESTINATION lib/tmpfiles.d RENAME liaison.conf)

# bash completion for liaison(1)
install(FILES ${PROJECT_SOURCE_DIR}/cli/completion/liaison.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME liaison)

# ---- CPack: one Debian package --------------------------------------------
# cpack and `make package` must not rebuild the tree behind ctest's back
# (the Makefile's package target builds first).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME liaison)
set(CPACK_PACKAGE_VENDOR "Liaison task force")
set(CPACK_PACKAGE_CONTACT "Liaison maintainers <liaison-maint@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "partner directory and signed coordination bus for child-protection task forces")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "Liaison maintainers <liaison-maint@example.org>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS
  "libzmq5, libsodium23, libsqlite3-0, libpq5, libprotobuf-c1, libinih1, libjansson4, libmicrohttpd12, adduser")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/config/debian/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Quick: no dpkg-shlibdeps run, plain gzip.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
set(CPACK_SOURCE_GENERATOR "")

# ---- one package per install component ------------------------------------
#   liaison          runtime: daemons, CLI, man pages, docs, units
#   libliaison0      lib: libliaison.so.0, the C client (lib/CMakeLists.txt)
#   liaison-dev      dev: headers, libliaison.so, liaison.pc, the .proto files
#   python3-liaison  python: the Python module (clients/python)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/clients/python/liaison
  DESTINATION lib/python3/dist-packages COMPONENT python
  FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime lib dev python)
set(CPACK_COMPONENTS_GROUPING IGNORE)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME liaison)
set(CPACK_DEBIAN_LIB_PACKAGE_NAME libliaison0)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
# shlibs file and the ldconfig trigger for libliaison.so.0
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/config/debian/libliaison0/triggers
  ${PROJECT_SOURCE_DIR}/config/debian/libliaison0/shlibs)
set(CPACK_DEBIAN_LIB_PACKAGE_DEPENDS
  "libzmq5, libsodium23, libprotobuf-c1, libinih1")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME liaison-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libliaison0 (= ${PROJECT_VERSION}), libprotobuf-c-dev, libzmq3-dev, libsodium-dev, libinih-dev, pkg-config")
set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-liaison)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_DEBIAN_PYTHON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "python3, python3-zmq, python3-protobuf")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "partner directory and signed coordination bus for child-protection task forces")
set(CPACK_COMPONENT_LIB_DESCRIPTION
  "Liaison: C client library for the liaison-agent local API")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "Liaison: headers, pkg-config file and .proto files for integrators")
set(CPACK_COMPONENT_PYTHON_DESCRIPTION
  "Liaison: Python client for the liaison-agent local API")
include(CPack)
